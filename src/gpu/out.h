/* out.h — gpu.csv on disk: written as FILE.partial, flushed after every sample so a
 * crash loses at most the sample being written, and renamed to FILE on a clean stop so
 * FILE, when it exists, is always complete. */
#ifndef TDM_GPU_OUT_H
#define TDM_GPU_OUT_H

#include <stddef.h>
#include <stdio.h>

#include "gpu/gpu.h"

typedef struct tdm_gpu_out {
    char *path;    /* FILE */
    char *partial; /* FILE.partial */
    FILE *f;
    char *batch;   /* the lines of the sample being written */
    size_t batch_len, batch_cap;
    int broken;    /* a write failed: the last line on disk may be torn */
} tdm_gpu_out;

/* Creates FILE.partial with the header line. 0, or -1 with err naming the file and fix. */
int tdm_gpu_out_open(tdm_gpu_out *o, const char *path, char *err, size_t errlen);
/* Adds one reading to the current sample (-1: out of memory). */
int tdm_gpu_out_add(tdm_gpu_out *o, const tdm_gpu_sample *s);
/* Writes the current sample's lines and flushes them to the kernel. 0 or -1 with err. */
int tdm_gpu_out_flush(tdm_gpu_out *o, char *err, size_t errlen);
/* fsync, close, rename FILE.partial to FILE. 0 or -1 with err (FILE.partial is kept). */
int tdm_gpu_out_finish(tdm_gpu_out *o, char *err, size_t errlen);
/* Frees everything; an unfinished FILE.partial stays on disk as it is. */
void tdm_gpu_out_free(tdm_gpu_out *o);

#endif
