# tokio-default: the analog of tokio's default multi-threaded runtime.
RUNTIME   := uv_workers_curl
HTTP      := curl
READ_SIZE := 8192
SUMMARY   := worker threads (default: one per CPU), each a libuv loop with libcurl multi; agents from a shared queue
