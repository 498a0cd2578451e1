# tokio-localset: one thread, one libuv loop, one libcurl multi handle (uv_poll/uv_timer).
USES_tokio-localset := uvcurl curl http1 uv
