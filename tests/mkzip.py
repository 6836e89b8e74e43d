#!/usr/bin/env python3
"""tests/mkzip.py - builds zip files for the Lambda tests, hostile ones too.

usage: mkzip.py OUT.zip ENTRY...
  NAME=TEXT          a file (deflated); NAME may be anything: ../x, /etc/x
  NAME:x=TEXT        an executable file (mode 0755)
  NAME@=TARGET       a symlink to TARGET
  NAME%=BYTES        BYTES zero bytes, deflated (a compression bomb)
  NAME/              a directory
Entries go in the order given; nothing is checked, on purpose.
"""
import stat
import sys
import zipfile


def main(out, entries):
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for e in entries:
            if e.endswith("/"):
                info = zipfile.ZipInfo(e)
                info.external_attr = (stat.S_IFDIR | 0o755) << 16
                z.writestr(info, b"")
                continue
            for sep, kind in (("@=", "link"), ("%=", "bomb"), (":x=", "exec"), ("=", "file")):
                if sep in e:
                    name, value = e.split(sep, 1)
                    break
            else:
                sys.exit("mkzip: bad entry %r" % e)
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if kind == "link":
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                data = value.encode()
            elif kind == "bomb":
                info.external_attr = (stat.S_IFREG | 0o644) << 16
                data = bytes(int(value))
            else:
                mode = 0o755 if kind == "exec" else 0o644
                info.external_attr = (stat.S_IFREG | mode) << 16
                data = value.encode()
            z.writestr(info, data)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
