# smol-8kb: smol-1kb with 8 KB reads (read-size control for the own client).
USES_smol-8kb := reactorhttp http1 reactor
