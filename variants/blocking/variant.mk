# blocking: one OS thread per agent, blocking sockets, tandem's own HTTP/1.1 client.
USES_blocking := reactorhttp http1 pthread
