/* darkrt eval --coco: COCO mAP of a results file or of an engine over annotated images. */
#ifndef DRT_CLI_EVAL_COCO_H
#define DRT_CLI_EVAL_COCO_H

/* The whole command line of `darkrt eval` when it has --coco; returns the exit code. */
int cli_eval_coco(int argc, char **argv);

#endif
