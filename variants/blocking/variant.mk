# blocking: the control without any event loop.
RUNTIME   := threads_blocking_http1
HTTP      := http1
READ_SIZE := 1024
SUMMARY   := one OS thread per agent, blocking sockets, tandem's own HTTP/1.1 client (no event loop)
