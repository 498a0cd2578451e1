# smol: one thread, the tandem epoll reactor driving libcurl multi_socket, 8 KB buffer.
USES_smol := reactorcurl curl http1 reactor
