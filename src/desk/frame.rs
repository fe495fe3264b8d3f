//! Length-delimited `MessagePack` frames, for the desk's Unix socket and for peer links.
//!
//! A frame is a 4-byte big-endian length and that many bytes. The length is checked before a
//! byte of the body is read, so a hostile length cannot make us allocate more than
//! [`MAX_FRAME`].

use std::io::{Read, Write};

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The largest frame either side sends or takes (design §5).
pub const MAX_FRAME: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("a frame of {0} bytes is over the {MAX_FRAME}-byte limit")]
    TooBig(usize),
    #[error("a malformed frame: {0}")]
    Malformed(String),
    #[error("the other side closed the connection")]
    Closed,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

pub fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>, FrameError> {
    let body =
        rmp_serde::to_vec_named(message).map_err(|e| FrameError::Malformed(e.to_string()))?;
    if body.len() > MAX_FRAME {
        return Err(FrameError::TooBig(body.len()));
    }
    let mut out = Vec::with_capacity(body.len() + 4);
    out.extend_from_slice(&u32::try_from(body.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, FrameError> {
    rmp_serde::from_slice(body).map_err(|e| FrameError::Malformed(e.to_string()))
}

fn checked_len(prefix: [u8; 4]) -> Result<usize, FrameError> {
    let len = u32::from_be_bytes(prefix) as usize;
    if len > MAX_FRAME {
        return Err(FrameError::TooBig(len));
    }
    Ok(len)
}

fn closed_on_eof(e: std::io::Error) -> FrameError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        FrameError::Closed
    } else {
        FrameError::Io(e)
    }
}

pub fn write_frame<T: Serialize>(w: &mut impl Write, message: &T) -> Result<(), FrameError> {
    w.write_all(&encode(message)?)?;
    w.flush()?;
    Ok(())
}

pub fn read_frame<T: DeserializeOwned>(r: &mut impl Read) -> Result<T, FrameError> {
    let mut prefix = [0u8; 4];
    r.read_exact(&mut prefix).map_err(closed_on_eof)?;
    let mut body = vec![0u8; checked_len(prefix)?];
    r.read_exact(&mut body).map_err(closed_on_eof)?;
    decode(&body)
}

pub async fn write_frame_async<T: Serialize>(
    w: &mut (impl AsyncWrite + Unpin),
    message: &T,
) -> Result<(), FrameError> {
    w.write_all(&encode(message)?).await?;
    w.flush().await?;
    Ok(())
}

/// Reads one frame's body. Not cancel-safe: read frames from a task of their own.
pub async fn read_frame_async<T: DeserializeOwned>(
    r: &mut (impl AsyncRead + Unpin),
) -> Result<T, FrameError> {
    let mut prefix = [0u8; 4];
    r.read_exact(&mut prefix).await.map_err(closed_on_eof)?;
    let mut body = vec![0u8; checked_len(prefix)?];
    r.read_exact(&mut body).await.map_err(closed_on_eof)?;
    decode(&body)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_frame_round_trips_and_an_oversized_length_is_refused_before_reading() {
        let bytes = encode(&("hello", 7u32)).unwrap();
        let back: (String, u32) = read_frame(&mut bytes.as_slice()).unwrap();
        assert_eq!(back, ("hello".to_owned(), 7));
        let mut hostile = (u32::MAX).to_be_bytes().to_vec();
        hostile.extend_from_slice(b"tiny");
        let err = read_frame::<u32>(&mut hostile.as_slice()).unwrap_err();
        assert!(matches!(err, FrameError::TooBig(n) if n == u32::MAX as usize));
        let err = read_frame::<u32>(&mut [0u8, 0, 0, 3, 0xc1, 0xc1, 0xc1].as_slice()).unwrap_err();
        assert!(matches!(err, FrameError::Malformed(_)), "{err}");
        let err = read_frame::<u32>(&mut [0u8, 0].as_slice()).unwrap_err();
        assert!(matches!(err, FrameError::Closed));
    }
}
