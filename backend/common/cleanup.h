/*
 * backend/common/cleanup.h - scope-bound ownership for C.
 * Every owned resource is declared with a cleanup attribute so every return
 * path frees it; move_ptr()/move_fd() hand ownership out and clear the
 * variable, so the cleanup becomes a no-op.
 */
#ifndef NB_CLEANUP_H
#define NB_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>

#define define_cleanup_function(type, fn)                                                          \
	static inline void fn##_p(type *p)                                                         \
	{                                                                                          \
		if (*p)                                                                            \
			fn(*p);                                                                    \
	}

static inline void nb_free_p(void *p)
{
	free(*(void **)p);
}

static inline void nb_close_p(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

define_cleanup_function(FILE *, fclose) define_cleanup_function(cJSON *, cJSON_Delete)
	define_cleanup_function(CURL *, curl_easy_cleanup)
		define_cleanup_function(struct curl_slist *, curl_slist_free_all)

#define cleanup_free   __attribute__((cleanup(nb_free_p)))
#define cleanup_close  __attribute__((cleanup(nb_close_p)))
#define cleanup_fclose __attribute__((cleanup(fclose_p)))
#define cleanup_cjson  __attribute__((cleanup(cJSON_Delete_p)))
#define cleanup_curl   __attribute__((cleanup(curl_easy_cleanup_p)))
#define cleanup_slist  __attribute__((cleanup(curl_slist_free_all_p)))

#define move_ptr(p)                                                                                \
	({                                                                                         \
		__typeof__(p) move_ptr_tmp_ = (p);                                                 \
		(p) = NULL;                                                                        \
		move_ptr_tmp_;                                                                     \
	})

#define move_fd(fd)                                                                                \
	({                                                                                         \
		int move_fd_tmp_ = (fd);                                                           \
		(fd) = -1;                                                                         \
		move_fd_tmp_;                                                                      \
	})

#endif
