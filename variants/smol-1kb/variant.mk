# smol-1kb: one thread, the tandem epoll reactor driving tandem's own HTTP/1.1 client, 1 KB reads.
USES_smol-1kb := reactorhttp http1 reactor
