//! Mounted host directories, reached through cap-std so the guest cannot escape them.
