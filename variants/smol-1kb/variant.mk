# smol-1kb: the analog of the seed's smol runtime with its custom 1 KB HTTP client, done right.
RUNTIME   := epoll_http1
HTTP      := http1
READ_SIZE := 1024
SUMMARY   := single thread: tandem's epoll reactor driving tandem's own HTTP/1.1 client, 1 KB reads (smol analog)
