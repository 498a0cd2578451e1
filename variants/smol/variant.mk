# smol: the analog of Rust's smol runtime with its default HTTP stack.
RUNTIME   := epoll_curl
HTTP      := curl
READ_SIZE := 8192
SUMMARY   := single thread: tandem's epoll reactor driving libcurl multi_socket, 8 KB buffer (smol analog)
