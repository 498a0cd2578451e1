# tokio-localset: the analog of tokio's single-threaded LocalSet.
RUNTIME   := uv_single_curl
HTTP      := curl
READ_SIZE := 8192
SUMMARY   := single thread: one libuv loop driving libcurl multi_socket (tokio LocalSet analog)
