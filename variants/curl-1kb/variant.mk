# curl-1kb: a control: smol with libcurl's receive buffer at 1 KB (read size apart from the client).
RUNTIME   := epoll_curl
HTTP      := curl
READ_SIZE := 1024
SUMMARY   := single thread: tandem's epoll reactor driving libcurl multi_socket, 1 KB buffer (read-size control)
