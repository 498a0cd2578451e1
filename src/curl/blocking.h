/* blocking.h — run all of one agent's calls with blocking libcurl easy transfers. */
#ifndef TDM_CURL_BLOCKING_H
#define TDM_CURL_BLOCKING_H

#include "curl/transfer.h"

/* Runs t->job's calls in order on this thread; returns when the agent is done. */
void tdm_curl_run_job_blocking(tdm_curl_transfer *t);

#endif
