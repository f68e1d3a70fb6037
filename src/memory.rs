//! The allocator's settings and giving freed heap back to the system (a leaf,
//! like `crypto`: it imports nothing of ours). glibc only; other allocators
//! (musl) keep their defaults and these calls do nothing.
//!
//! Measured with the benchmark's memory row (100 000 failed logins, then idle):
//! without these, glibc kept the peak of a flood resident for good.

/// glibc gives threads their own malloc arenas, up to eight per core, and each
/// keeps the memory its thread freed: with 16 workers and a thread per
/// connection, half of the peak resident size under load was arenas holding
/// freed buffers. One arena per core keeps the contention low and the heap one.
///
/// glibc also raises its mmap threshold (up to 32 MiB) every time a large block
/// is freed, after which request-sized buffers (bodies up to 1 MiB) come from the
/// heap and stay there; a fixed threshold keeps them in their own mappings,
/// returned to the system on free.
///
/// Call before starting any thread.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        // SAFETY: mallopt only sets allocator parameters; it is called before
        // the server starts any thread.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, cores as libc::c_int);
            libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
            libc::mallopt(libc::M_TRIM_THRESHOLD, 256 * 1024);
        }
    }
}

/// Returns free heap pages to the system (`malloc_trim`), including those in the
/// middle of an arena that ordinary trimming (top of the heap only) keeps. Costs
/// a walk over the free lists: call it after a large sweep, not per request.
pub fn give_back_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim is thread-safe and only releases free pages.
    unsafe {
        libc::malloc_trim(0);
    }
}
