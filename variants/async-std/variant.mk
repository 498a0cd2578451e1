# async-std: libuv's threadpool (one global FIFO queue) running blocking libcurl transfers.
USES_async-std := curl http1 uv
