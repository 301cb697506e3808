//! Kept item pages sent without a copy (issue 17, target 3: the emulator is never what a benchmark
//! measures). Once a page is kept ([`super::page_cache`]), serving it again cost the emulator little but
//! the kernel's copy of its bytes into the socket: three quarters of its CPU time (`perf`, 100,000 items
//! of the million-item folder). So a kept page lives in a memfd, mapped read-only, and its [`Bytes`]
//! point into the mapping; plain-HTTP connections are [`Conn`]s, whose writes hand a buffer that lies in
//! such a mapping to `sendfile(2)` from the memfd at the same offset (the kernel sends the file's pages
//! as they are; the client still copies them out, as from any socket). Any other buffer is written as
//! before, so a fault that cuts, delays or damages a body (a copy) goes out unchanged, and what reaches
//! the client is byte for byte what it was.
//!
//! Linux only; elsewhere (or when a memfd cannot be made) pages are kept as ordinary bytes and sent by
//! copy. TLS connections always copy (rustls encrypts the bytes into its own buffers).

use bytes::Bytes;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// `bytes` in a memfd, mapped: the same bytes, which a [`Conn`] sends without copying them. `None`
/// when the system cannot (the caller keeps `bytes` as they are).
pub fn kept(bytes: &[u8]) -> Option<Bytes> {
    imp::kept(bytes)
}

/// Bytes of kept pages sent without a copy so far, by every emulator in the process.
pub fn sent_without_copy() -> u64 {
    imp::sent()
}

/// A plain-HTTP connection of the emulator (see the module's documentation).
pub struct Conn {
    tcp: TcpStream,
}

impl Conn {
    pub fn new(tcp: TcpStream) -> Conn {
        Conn { tcp }
    }
}

impl AsyncRead for Conn {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if let Some(sent) = imp::poll_send_kept(&self.tcp, cx, buf) {
            return sent;
        }
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    /// The buffers before the first kept one are written together; a kept one first (after empty ones)
    /// is sent alone.
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let first_kept = bufs.iter().position(|b| imp::is_kept(b));
        match first_kept {
            Some(i) if bufs[..i].iter().all(|b| b.is_empty()) => {
                if let Some(sent) = imp::poll_send_kept(&self.tcp, cx, &bufs[i]) {
                    return sent;
                }
                Pin::new(&mut self.tcp).poll_write_vectored(cx, &bufs[i..=i])
            }
            Some(i) => Pin::new(&mut self.tcp).poll_write_vectored(cx, &bufs[..i]),
            None => Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

/// The plain-HTTP server's acceptor: every connection is a [`Conn`], with `TCP_NODELAY` set. An answer
/// with a kept page goes out in two writes (its head, then the page by `sendfile`) where it was one
/// `writev`: with Nagle's algorithm a page shorter than a segment would wait for the ACK of the head,
/// which the client delays (40 ms a page: `sim::tests::million_item_folder_last_page_over_http`).
/// The connection's send buffer is widened where the system allows it ([`send_buffer_size`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct Acceptor;

/// The send buffer the emulator asks for: a large item page (10,000 items, ~22 MB) goes to the kernel in
/// a few `sendfile` calls rather than one per few hundred KB.
const SEND_BUFFER_WANTED: u64 = 8 << 20;

/// The `SO_SNDBUF` to set on an accepted connection, from the system's limits: `wmem_max`
/// (`net.core.wmem_max`, the most an unprivileged `SO_SNDBUF` may ask for; the kernel doubles what it is
/// given) and `autotune_max` (the last figure of `net.ipv4.tcp_wmem`, how far the kernel grows a buffer
/// nobody set). `None` (leave the kernel's autotuning alone) unless the fixed buffer would be larger than
/// autotuning can make it: setting one turns autotuning off.
///
/// Why (issue 17, target 3: the emulator is never what a benchmark measures): on loopback the sender's
/// `sendfile` also does part of the *receiver's* TCP processing (queueing the data on the client's socket,
/// waking it) whenever the client is not inside `recv`; a real server on a network pays none of that, the
/// client's host does. With the autotuned buffer (4 MB on the bench host) the emulator sent 100,000 items
/// of the million-item folder in ~160 `sendfile` calls a run, a third of them refused (`EAGAIN`), waking
/// and being woken between them. With 8 MB (`wmem_max` 4 MB, doubled): ~74 calls, and more of the
/// receive processing is done by the client itself (from its socket's backlog, in its own `recv`). It is
/// a shift, not a saving: measured interleaved against the same emulator without it (21 rounds, the raw
/// HTTP loop as a process), the emulator's CPU while the raw loop read 70 -> 51 ms, the raw loop's own CPU
/// 162 -> 174 ms (the two together 240 / 235 ms), its time 227 -> 238 ms (182 -> 204 ms in another run);
/// vex's time 223 -> 216 ms (it reads ahead, so its own share does not lengthen it). So the emulator's
/// figure is closer to a real server's and both clients pay for their own reading, as on a network; the
/// raw loop, which reads one page after the other, is slower for it. Assumption (the spec is silent on
/// transport): a server's send buffer is its own business; nothing a client sees depends on it but timing.
/// Cost: a client that stops reading holds up to twice the buffer in the kernel for its connection (kept
/// pages are sent by reference to the memfd, so for them it is not a copy).
pub fn send_buffer_size(wmem_max: u64, autotune_max: u64) -> Option<u64> {
    let ask = SEND_BUFFER_WANTED.min(wmem_max);
    (ask.saturating_mul(2) > autotune_max).then_some(ask)
}

/// The `SO_SNDBUF` the emulator sets on this system's plain-HTTP connections ([`send_buffer_size`] of
/// its limits), `None` where it leaves the kernel's autotuning alone: what the benchmarks print beside
/// their figures, which depend on it.
pub fn send_buffer_here() -> Option<u64> {
    imp::wanted_send_buffer().and_then(|v| u64::try_from(v).ok())
}

impl<S> axum_server::accept::Accept<TcpStream, S> for Acceptor {
    type Stream = Conn;
    type Service = S;
    type Future = std::future::Ready<io::Result<(Conn, S)>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        imp::widen_send_buffer(&stream);
        std::future::ready(stream.set_nodelay(true).map(|()| (Conn::new(stream), service)))
    }
}

#[cfg(target_os = "linux")]
mod imp {
    use bytes::Bytes;
    use std::collections::BTreeMap;
    use std::io::{self, Write};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll};
    use tokio::io::Interest;
    use tokio::net::TcpStream;

    /// The live mappings, by start address: their length, memfd and number (in the order made).
    static REGIONS: Mutex<BTreeMap<usize, Region>> = Mutex::new(BTreeMap::new());
    static MADE: AtomicU64 = AtomicU64::new(0);
    /// Bytes sent by `sendfile(2)` so far (all connections).
    static SENT: AtomicU64 = AtomicU64::new(0);

    pub fn sent() -> u64 {
        SENT.load(Ordering::Relaxed)
    }

    /// [`super::send_buffer_size`] from this system's limits, read once.
    pub fn wanted_send_buffer() -> Option<libc::c_int> {
        static WANTED: std::sync::OnceLock<Option<libc::c_int>> = std::sync::OnceLock::new();
        *WANTED.get_or_init(|| {
            let read = |path: &str| std::fs::read_to_string(path).ok();
            let wmem_max = read("/proc/sys/net/core/wmem_max")?.trim().parse().ok()?;
            let autotune_max = read("/proc/sys/net/ipv4/tcp_wmem")?
                .split_whitespace()
                .nth(2)?
                .parse()
                .ok()?;
            let size = super::send_buffer_size(wmem_max, autotune_max)?;
            libc::c_int::try_from(size).ok()
        })
    }

    /// Sets the connection's `SO_SNDBUF` when [`super::send_buffer_size`] says so. A refusal leaves the
    /// kernel's default (autotuning): nothing depends on it but the emulator's CPU time.
    pub fn widen_send_buffer(tcp: &TcpStream) {
        let Some(size) = wanted_send_buffer() else { return };
        // SAFETY: the descriptor is the live socket `tcp` owns; the option is a c_int read by the kernel.
        let r = unsafe {
            libc::setsockopt(
                tcp.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_SNDBUF,
                (&size as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if r != 0 {
            tracing::debug!(error = %io::Error::last_os_error(), "emulator: SO_SNDBUF not set");
        }
    }

    struct Region {
        len: usize,
        fd: Arc<OwnedFd>,
        #[cfg_attr(not(test), allow(dead_code))]
        number: u64,
    }

    /// A memfd mapped read-only: the owner of a kept page's [`Bytes`].
    struct Mapping {
        at: *mut libc::c_void,
        len: usize,
    }

    // SAFETY: the mapping is read-only and never changes while mapped; it is unmapped once, on drop.
    unsafe impl Send for Mapping {}
    // SAFETY: as above; `&Mapping` only reads.
    unsafe impl Sync for Mapping {}

    impl AsRef<[u8]> for Mapping {
        fn as_ref(&self) -> &[u8] {
            // SAFETY: `at..at + len` is mapped readable for the life of `self` (from `kept`, unmapped in
            // `drop` only) and its contents never change (PROT_READ, the memfd written before mapping and
            // never again).
            unsafe { std::slice::from_raw_parts(self.at.cast::<u8>(), self.len) }
        }
    }

    impl Drop for Mapping {
        fn drop(&mut self) {
            if let Ok(mut r) = REGIONS.lock() {
                r.remove(&(self.at as usize));
            }
            // SAFETY: `at`/`len` are what mmap returned and gave; nothing borrows the mapping any more
            // (every `Bytes` of it is gone: this is their owner).
            unsafe {
                libc::munmap(self.at, self.len);
            }
        }
    }

    pub fn kept(bytes: &[u8]) -> Option<Bytes> {
        if bytes.is_empty() {
            return None;
        }
        // SAFETY: a C string literal and flags; the result is checked.
        let fd = unsafe { libc::memfd_create(c"vex-sim-page".as_ptr(), libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING) };
        if fd < 0 {
            return None;
        }
        // SAFETY: `fd` was just created and is owned by nothing else.
        let mut file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
        file.write_all(bytes).ok()?;
        // Sealed before it is mapped: from here the kernel refuses any write, resize or new seal, so the
        // mapping's contents cannot change (what `Mapping::as_ref` relies on), whoever holds the fd. A
        // memfd that cannot be sealed is not used (the page is kept as ordinary bytes).
        let seals = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL;
        // SAFETY: fcntl on an open descriptor this function owns; the result is checked.
        if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_ADD_SEALS, seals) } != 0 {
            return None;
        }
        let fd = Arc::new(OwnedFd::from(file));
        // SAFETY: maps `bytes.len()` bytes of a file that long, read-only and shared; the result is
        // checked.
        let at = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                bytes.len(),
                libc::PROT_READ,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if at == libc::MAP_FAILED {
            return None;
        }
        let mapping = Mapping { at, len: bytes.len() };
        let region = Region {
            len: bytes.len(),
            fd,
            number: MADE.fetch_add(1, Ordering::Relaxed),
        };
        REGIONS.lock().ok()?.insert(at as usize, region);
        Some(Bytes::from_owner(mapping))
    }

    /// The memfd and offset of `buf` when it lies wholly in a live mapping.
    fn find(buf: &[u8]) -> Option<(Arc<OwnedFd>, usize)> {
        let (fd, offset, _) = find_at(buf.as_ptr() as usize, buf.len())?;
        Some((fd, offset))
    }

    /// [`find`] by address, with the mapping's number.
    fn find_at(p: usize, len: usize) -> Option<(Arc<OwnedFd>, usize, u64)> {
        if len == 0 {
            return None;
        }
        let r = REGIONS.lock().ok()?;
        let (&start, region) = r.range(..=p).next_back()?;
        (p + len <= start + region.len).then(|| (region.fd.clone(), p - start, region.number))
    }

    /// [`find`] (tests).
    #[cfg(test)]
    pub fn find_fd(buf: &[u8]) -> Option<(Arc<OwnedFd>, usize)> {
        find(buf)
    }

    /// The number of the live mapping that holds `len` bytes at address `p` (tests).
    #[cfg(test)]
    pub fn mapping_at(p: usize, len: usize) -> Option<u64> {
        find_at(p, len).map(|(_, _, n)| n)
    }

    pub fn is_kept(buf: &[u8]) -> bool {
        find(buf).is_some()
    }

    /// `buf` sent by `sendfile(2)` when it is a kept page's (None otherwise: the caller writes it).
    pub fn poll_send_kept(tcp: &TcpStream, cx: &mut Context<'_>, buf: &[u8]) -> Option<Poll<io::Result<usize>>> {
        let (fd, offset) = find(buf)?;
        let mut offset = libc::off_t::try_from(offset).ok()?;
        Some(loop {
            match tcp.poll_write_ready(cx) {
                Poll::Pending => return Some(Poll::Pending),
                Poll::Ready(Err(e)) => break Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) => {}
            }
            let sent = tcp.try_io(Interest::WRITABLE, || {
                // SAFETY: both descriptors are open (the socket borrowed, the memfd held by `fd`);
                // `offset` is a valid out-parameter; `buf.len()` bytes from `offset` are in the file
                // (`buf` lies in its mapping, which is the whole file).
                let n = unsafe { libc::sendfile(tcp.as_raw_fd(), fd.as_raw_fd(), &mut offset, buf.len()) };
                usize::try_from(n).map_err(|_| io::Error::last_os_error())
            });
            match sent {
                Ok(n) => {
                    SENT.fetch_add(n as u64, Ordering::Relaxed);
                    break Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => break Poll::Ready(Err(e)),
            }
        })
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use bytes::Bytes;
    use std::io;
    use std::task::{Context, Poll};
    use tokio::net::TcpStream;

    pub fn kept(_: &[u8]) -> Option<Bytes> {
        None
    }

    pub fn sent() -> u64 {
        0
    }

    pub fn is_kept(_: &[u8]) -> bool {
        false
    }

    /// Elsewhere the kernel's default stays.
    pub fn widen_send_buffer(_: &TcpStream) {}

    pub fn wanted_send_buffer() -> Option<i64> {
        None
    }

    pub fn poll_send_kept(_: &TcpStream, _: &mut Context<'_>, _: &[u8]) -> Option<Poll<io::Result<usize>>> {
        None
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// The fixed send buffer is asked for only when it is larger than what autotuning reaches, never
    /// more than `wmem_max` allows, at most the wanted size.
    #[test]
    fn the_send_buffer_is_widened_only_past_autotuning() {
        const MB: u64 = 1 << 20;
        // The bench host: wmem_max 4 MB (8 MB once doubled) against autotuning's 4 MB.
        assert_eq!(send_buffer_size(4 * MB, 4 * MB), Some(4 * MB));
        // A stock kernel's wmem_max (208 KB, 416 KB doubled) would shrink the buffer: left alone.
        assert_eq!(send_buffer_size(212_992, 4 * MB), None);
        assert_eq!(send_buffer_size(2 * MB, 4 * MB), None);
        // A generous system: the wanted 8 MB, not more.
        assert_eq!(send_buffer_size(64 * MB, 4 * MB), Some(8 * MB));
        // Autotuning already reaches further than the wanted buffer: left alone.
        assert_eq!(send_buffer_size(64 * MB, 32 * MB), None);
        assert_eq!(send_buffer_size(0, 0), None);
    }

    /// A connection the acceptor hands on has the buffer this system's limits call for
    /// ([`send_buffer_here`]; a limit that cannot be read means none): twice the asked size (the kernel
    /// doubles it) where one is set, the kernel's own (not fixed) otherwise.
    #[tokio::test]
    async fn the_acceptor_sets_the_send_buffer_the_limits_call_for() {
        use axum_server::accept::Accept;
        // What the rule says for this system's limits (the rule itself: the test above).
        let expected = send_buffer_here();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let client = tokio::spawn(tokio::net::TcpStream::connect(addr));
        let (stream, _) = listener.accept().await.expect("accept");
        let _client = client.await.expect("join").expect("connect");
        let default = sndbuf(std::os::fd::AsRawFd::as_raw_fd(&stream));
        let (conn, ()) = Acceptor.accept(stream, ()).await.expect("accepted");
        let set = sndbuf(std::os::fd::AsRawFd::as_raw_fd(&conn.tcp));
        match expected {
            Some(asked) => assert_eq!(set as u64, 2 * asked, "the buffer asked for"),
            None => assert_eq!(set, default, "left to autotuning"),
        }
    }

    fn sndbuf(fd: std::os::fd::RawFd) -> libc::c_int {
        let mut v: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: fd is a live socket; v and len are valid for the kernel to write.
        let r = unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_SNDBUF,
                (&mut v as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        assert_eq!(r, 0, "getsockopt: {}", io::Error::last_os_error());
        v
    }

    /// Kept bytes are the bytes; every slice of them is found in its mapping, others are not; the
    /// mapping goes with the last `Bytes` of it.
    #[test]
    fn kept_bytes_are_the_bytes_and_their_slices_are_found() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let k = kept(&data).expect("a memfd on Linux");
        let number = imp::mapping_at(k.as_ptr() as usize, k.len()).expect("registered");
        assert_eq!(&k[..], &data[..]);
        assert!(imp::is_kept(&k) && imp::is_kept(&k.slice(5..9)) && imp::is_kept(&k.slice(99_999..)));
        assert!(!imp::is_kept(&data) && !imp::is_kept(&k.slice(3..3)));
        let copy = k.slice(10..20);
        drop(k);
        assert!(imp::is_kept(&copy), "alive while a slice is");
        assert_eq!(&copy[..], &data[10..20]);
        let at = copy.as_ptr() as usize;
        drop(copy);
        // Other tests may map pages meanwhile, even at the same address: not this mapping, though.
        assert_ne!(
            imp::mapping_at(at, 10),
            Some(number),
            "unregistered with its last bytes"
        );
        assert!(kept(&data[..1]).is_some());
        assert!(kept(&[]).is_none());
    }

    /// A kept page's memfd is sealed: nothing can write it, grow it, shrink it or unseal it.
    #[test]
    fn a_kept_pages_memfd_cannot_change() {
        use std::os::fd::AsRawFd;
        let data = vec![7u8; 10_000];
        let k = kept(&data).expect("a memfd on Linux");
        let (fd, offset) = imp::find_fd(&k).expect("registered");
        assert_eq!(offset, 0);
        let raw = fd.as_raw_fd();
        // SAFETY: fcntl/pwrite/ftruncate on a descriptor held open by `fd`; results checked.
        unsafe {
            let seals = libc::fcntl(raw, libc::F_GET_SEALS);
            let all = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL;
            assert_eq!(seals & all, all, "seals {seals:#x}");
            assert_eq!(libc::pwrite(raw, b"x".as_ptr().cast(), 1, 0), -1);
            assert_eq!(libc::ftruncate(raw, 10), -1);
            assert_eq!(libc::ftruncate(raw, 20_000), -1);
        }
        assert_eq!(&k[..], &data[..]);
    }

    /// Through a connection, kept slices (sent by the kernel from the memfd) and ordinary buffers
    /// (written) arrive in order, whole, byte for byte, written one by one or vectored, into a socket
    /// that fills up (the reader starts late and reads slowly).
    #[tokio::test]
    async fn a_connection_sends_kept_and_ordinary_buffers_in_order() {
        let data: Vec<u8> = (0..3_000_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        let k = kept(&data).expect("a memfd on Linux");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let parts: Vec<Bytes> = vec![
            Bytes::from_static(b"head\r\n"),
            k.slice(..1_000_000),
            Bytes::from_static(b"-middle-"),
            k.slice(1_000_000..1_000_001),
            k.slice(1_500_000..),
            Bytes::from(data[..1000].to_vec()),
        ];
        let want: Vec<u8> = parts.iter().flat_map(|p| p.iter().copied()).collect();
        let server = {
            let parts = parts.clone();
            tokio::spawn(async move {
                let (tcp, _) = listener.accept().await.unwrap();
                let mut c = Conn::new(tcp);
                // One by one, then all vectored (the way hyper writes a queue of buffers).
                for p in &parts[..2] {
                    c.write_all(p).await.unwrap();
                }
                let mut rest: Vec<Bytes> = parts[2..].to_vec();
                while rest.iter().any(|b| !b.is_empty()) {
                    let slices: Vec<io::IoSlice<'_>> = rest.iter().map(|b| io::IoSlice::new(b)).collect();
                    let mut n = c.write_vectored(&slices).await.unwrap();
                    assert!(n > 0);
                    for b in &mut rest {
                        let k = n.min(b.len());
                        bytes::Buf::advance(b, k);
                        n -= k;
                    }
                }
                c.shutdown().await.unwrap();
            })
        };
        let sent_before = sent_without_copy();
        let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let mut got = Vec::new();
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let n = client.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        server.await.unwrap();
        assert_eq!(got.len(), want.len());
        assert!(got == want, "the bytes differ");
        // The kept slices went by sendfile (at least: other tests' emulators may send meanwhile).
        assert!(sent_without_copy() - sent_before >= 2_500_001);
    }
}
