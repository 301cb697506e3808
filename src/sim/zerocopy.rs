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
#[derive(Clone, Copy, Debug, Default)]
pub struct Acceptor;

impl<S> axum_server::accept::Accept<TcpStream, S> for Acceptor {
    type Stream = Conn;
    type Service = S;
    type Future = std::future::Ready<io::Result<(Conn, S)>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
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

    pub fn poll_send_kept(_: &TcpStream, _: &mut Context<'_>, _: &[u8]) -> Option<Poll<io::Result<usize>>> {
        None
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

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
