# tokio-default: W worker threads, each with its own libuv loop and libcurl multi handle.
USES_tokio-default := uvcurl curl http1 uv pthread
