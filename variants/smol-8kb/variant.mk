# smol-8kb: a control: smol-1kb with 8 KB reads (read size for the own client).
RUNTIME   := epoll_http1
HTTP      := http1
READ_SIZE := 8192
SUMMARY   := single thread: tandem's epoll reactor driving tandem's own HTTP/1.1 client, 8 KB reads (read-size control)
