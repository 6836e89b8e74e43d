/*
 * backend/common/labels.h - the labels on everything nimbusfs makes in the
 * engine, and the kinds it names. Resyncs find their objects by them, and
 * the owner label keeps two state dirs on one engine apart.
 */
#ifndef NB_COMMON_LABELS_H
#define NB_COMMON_LABELS_H

#define NB_LABEL_OWNER	   "io.nimbusfs.owner"	   /* the state dir's id */
#define NB_LABEL_KIND	   "io.nimbusfs.kind"	   /* one of NB_KIND_* */
#define NB_LABEL_OBJECT	   "io.nimbusfs.object"	   /* task id, function name, instance id... */
#define NB_LABEL_CONTAINER "io.nimbusfs.container" /* a task's container name; "~pause" */

#define NB_KIND_ECS_TASK   "ecs-task"
#define NB_KIND_LAMBDA	   "lambda"
#define NB_KIND_EC2	   "ec2"
#define NB_KIND_EC2_SUBNET "ec2-subnet"

#endif
