//! Listening ports: sockets from /proc/net and their owning processes, judged against the catalog port policy.
