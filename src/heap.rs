//! glibc malloc settings, per kind of run (called in `main` before the async runtime starts its threads;
//! nothing on other allocators or other systems).

/// Lets the browser's threads share one malloc arena (glibc; call it before the async runtime starts its
/// threads). Each thread that allocates gets an arena of its own by default, and memory freed in one
/// (pages decoded on a worker, dropped on the loop) stays resident there: in the memory scenario of
/// `benches/run` (1M folder, `G`, PgUp/PgDn, a search, details) the browser's peak RSS was 28.1 MB with
/// the default arenas and 23.4 MB with one (`MALLOC_ARENA_MAX=1`, back to back on the same machine). The
/// browser allocates little per key, so the shared arena's lock costs nothing measurable; the scripting
/// commands keep the default ([`keep_freed_memory`] instead).
pub fn one_heap_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes glibc's allocator settings; called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Keeps memory freed by the scripting commands for reuse rather than giving it back to the system at
/// once: blocks up to 4 MB come from the heap (not a mapping of their own), and free memory at the top of
/// a heap is given back only past 64 MB.
///
/// Why: `vex items --all` reads 225 MB of answers for 100,000 items in chunks of up to 400 KB (hyper's
/// read buffer). Each chunk is a new block (the one before is still being read), allocated on a runtime
/// thread and freed on the one that checks the rows; glibc gave the freed pages back (`munmap`, or a trim
/// with `MADV_DONTNEED`) and the next chunk's pages were faulted in and zeroed again while the kernel
/// copied the socket's bytes into them. Measured on that run (`perf stat`, same binary, 2-core VM):
/// 16,255 page faults and 389 ms of CPU with glibc's defaults, 3,547 and 326 ms with these settings
/// (`GLIBC_TUNABLES`). The memory kept is at most what the run used at its peak, which the bounded read
/// ahead of [`crate::api::body`] limits (peak RSS of `vex items --all` at 10,000 a page: about 24.5 MB,
/// read ahead and these settings together, against 16.9 MB before either).
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes glibc's allocator settings; called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 << 20);
    }
}
