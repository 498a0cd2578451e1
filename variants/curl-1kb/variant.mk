# curl-1kb: smol with CURLOPT_BUFFERSIZE 1024 (read size apart from the client).
USES_curl-1kb := reactorcurl curl http1 reactor
