//! Container facts from MP4/MOV boxes (duration, frames, exact fps, size, codec, audio) without decoding.
