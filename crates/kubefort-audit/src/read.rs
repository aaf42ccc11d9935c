//! Reading audit logs: JSON lines from files (plain or gzip-compressed, as
//! log rotation leaves them) or standard input, each line bounded in size,
//! following a growing file the way `tail -F` does.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek};
use std::path::Path;
use std::time::Duration;

use flate2::read::MultiGzDecoder;
use serde::Serialize;

use crate::detect::{Alert, Detector, Source};
use crate::event::Event;

/// One line of input.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A complete line is in the buffer (without its newline).
    Text,
    /// The line was longer than the limit; it was skipped (its length).
    Oversized(u64),
    /// End of input; with `partial` the buffer holds the start of a line
    /// that has no newline yet.
    Eof { partial: bool },
}

/// Lines of a reader, each at most `max` bytes kept in memory.
pub struct LineReader<R> {
    inner: R,
    max: usize,
    /// Number of the line last returned (1-based).
    pub line: u64,
    pending: bool,
    pending_over: bool,
    pending_len: u64,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R, max: usize) -> Self {
        LineReader {
            inner,
            max,
            line: 0,
            pending: false,
            pending_over: false,
            pending_len: 0,
        }
    }

    /// Read the next line into `buf`. After `Eof { partial: true }`, a
    /// later call continues the same line (for followed files).
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Line> {
        if !self.pending {
            buf.clear();
            self.pending_over = false;
            self.pending_len = 0;
        }
        loop {
            let avail = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                let partial = self.pending_len > 0;
                self.pending = partial;
                return Ok(Line::Eof { partial });
            }
            let (chunk_len, consume, done) = match memchr::memchr(b'\n', avail) {
                Some(i) => (i, i + 1, true),
                None => (avail.len(), avail.len(), false),
            };
            self.pending_len += chunk_len as u64;
            if !self.pending_over {
                if buf.len() + chunk_len > self.max {
                    self.pending_over = true;
                    buf.clear();
                    buf.shrink_to(1 << 16);
                } else {
                    buf.extend_from_slice(&avail[..chunk_len]);
                }
            }
            self.inner.consume(consume);
            if done {
                self.line += 1;
                self.pending = false;
                if buf.last() == Some(&b'\r') {
                    buf.pop();
                }
                return Ok(if self.pending_over {
                    Line::Oversized(self.pending_len)
                } else {
                    Line::Text
                });
            }
            self.pending = true;
        }
    }

    /// Finish a last line that has no newline (end of a file not followed).
    pub fn finish_partial(&mut self) -> Line {
        self.pending = false;
        self.line += 1;
        if self.pending_over {
            Line::Oversized(self.pending_len)
        } else {
            Line::Text
        }
    }

    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }
}

/// Open a log file, decompressing gzip (by its magic bytes, whatever the name).
pub fn open(path: &Path) -> io::Result<Box<dyn BufRead + Send>> {
    let mut f = File::open(path)?;
    let mut magic = [0u8; 2];
    let n = read_up_to(&mut f, &mut magic)?;
    f.rewind()?;
    if n == 2 && magic == [0x1f, 0x8b] {
        Ok(Box::new(BufReader::with_capacity(
            1 << 20,
            MultiGzDecoder::new(BufReader::with_capacity(1 << 16, f)),
        )))
    } else {
        Ok(Box::new(BufReader::with_capacity(1 << 20, f)))
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A line that could not be used, with where it was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineError {
    pub file: String,
    /// 0 when the whole input failed (it could not be opened or read).
    pub line: u64,
    pub message: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

/// Judge one line; a line that is not a valid event is an error.
pub fn feed_line(
    det: &mut Detector,
    name: &str,
    line_no: u64,
    bytes: &[u8],
    emit: &mut dyn FnMut(Alert),
) -> Result<(), LineError> {
    let error = |message: String| LineError {
        file: name.to_string(),
        line: line_no,
        message,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        error(format!(
            "not UTF-8 (invalid byte at column {}); audit logs are UTF-8 JSON lines",
            e.valid_up_to() + 1
        ))
    })?;
    if text.trim().is_empty() {
        return Ok(());
    }
    match Event::parse(text) {
        Ok(ev) => {
            let src = Source {
                file: name.to_string(),
                line: line_no,
            };
            det.feed(&ev, Some(&src), emit);
            Ok(())
        }
        Err(m) => Err(error(m)),
    }
}

/// How to follow a file after its end.
#[derive(Clone, Copy, Debug)]
pub struct Follow {
    /// How long to wait before looking for more.
    pub poll: Duration,
}

/// Read every line of one input through the detector. Errors of single
/// lines go to `on_error` and reading goes on; an input that cannot be read
/// at all returns its error. With `follow`, a file is read forever (across
/// rotation: when the path names a new file or the file shrinks, it is
/// reopened from its start).
pub fn process(
    det: &mut Detector,
    name: &str,
    path: Option<&Path>,
    reader: Box<dyn BufRead + Send>,
    follow: Option<Follow>,
    emit: &mut dyn FnMut(Alert),
    on_error: &mut dyn FnMut(LineError),
) -> Result<(), LineError> {
    let max = det.settings.config.max_event_size;
    let mut lines = LineReader::new(reader, max);
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 16);
    let read_error = |line: u64, e: io::Error| LineError {
        file: name.to_string(),
        line,
        message: format!("cannot read: {e}"),
    };
    #[cfg(unix)]
    let mut identity = path.and_then(file_identity);
    let mut offset: u64 = 0;
    loop {
        match lines.next_line(&mut buf) {
            Ok(Line::Text) => {
                offset += buf.len() as u64 + 1;
                if let Err(e) = feed_line(det, name, lines.line, &buf, emit) {
                    det.invalid();
                    on_error(e);
                }
            }
            Ok(Line::Oversized(len)) => {
                offset += len + 1;
                det.oversized();
                on_error(LineError {
                    file: name.to_string(),
                    line: lines.line,
                    message: format!(
                        "event of {len} bytes skipped: larger than the limit of {max} bytes (audit.max-event-size)"
                    ),
                });
            }
            Ok(Line::Eof { partial }) => {
                let Some(f) = follow else {
                    if partial {
                        let n = lines.line + 1;
                        match lines.finish_partial() {
                            Line::Text => {
                                if let Err(e) = feed_line(det, name, n, &buf, emit) {
                                    det.invalid();
                                    on_error(e);
                                }
                            }
                            Line::Oversized(len) => {
                                det.oversized();
                                on_error(LineError {
                                    file: name.to_string(),
                                    line: n,
                                    message: format!("event of {len} bytes skipped: larger than the limit of {max} bytes (audit.max-event-size)"),
                                });
                            }
                            Line::Eof { .. } => {}
                        }
                    }
                    return Ok(());
                };
                std::thread::sleep(f.poll);
                // Rotated or truncated: start over on the file the path names now.
                #[cfg(unix)]
                if let Some(p) = path {
                    let now = file_identity(p);
                    let shrunk = std::fs::metadata(p)
                        .map(|m| m.len() < offset)
                        .unwrap_or(false);
                    if now.is_some() && (now != identity || shrunk) {
                        if let Ok(r) = open(p) {
                            identity = now;
                            offset = 0;
                            lines = LineReader::new(r, max);
                            buf.clear();
                        }
                    }
                }
            }
            Err(e) => return Err(read_error(lines.line + 1, e)),
        }
    }
}

#[cfg(unix)]
fn file_identity(p: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_bounded_and_counted() {
        let data = b"short\nthis line is far too long\n\nlast".to_vec();
        let mut r = LineReader::new(&data[..], 10);
        let mut buf = Vec::new();
        assert_eq!(r.next_line(&mut buf).unwrap(), Line::Text);
        assert_eq!(buf, b"short");
        assert_eq!(r.next_line(&mut buf).unwrap(), Line::Oversized(25));
        assert_eq!(r.line, 2);
        assert_eq!(r.next_line(&mut buf).unwrap(), Line::Text);
        assert!(buf.is_empty());
        assert_eq!(r.next_line(&mut buf).unwrap(), Line::Eof { partial: true });
        assert_eq!(r.finish_partial(), Line::Text);
        assert_eq!(buf, b"last");
        assert_eq!(r.line, 4);
    }

    #[test]
    fn a_partial_line_continues_after_more_data() {
        // A reader that returns end of input once, then the rest.
        struct Two(Vec<&'static [u8]>);
        impl Read for Two {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() {
                    return Ok(0);
                }
                let chunk = self.0.remove(0);
                out[..chunk.len()].copy_from_slice(chunk);
                Ok(chunk.len())
            }
        }
        let mut r = LineReader::new(BufReader::new(Two(vec![b"{\"a\":", b"", b"1}\n"])), 100);
        let mut buf = Vec::new();
        assert_eq!(r.next_line(&mut buf).unwrap(), Line::Eof { partial: true });
        assert_eq!(r.next_line(&mut buf).unwrap(), Line::Text);
        assert_eq!(buf, b"{\"a\":1}");
        assert_eq!(r.line, 1);
    }
}
