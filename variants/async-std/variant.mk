# async-std: the analog of a runtime with one global task queue and a pool of blocking threads.
RUNTIME   := uvpool_blocking_curl
HTTP      := curl
READ_SIZE := 8192
SUMMARY   := libuv threadpool: a global FIFO queue of agents, each on a pool thread with blocking libcurl
