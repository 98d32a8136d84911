//! Reading frame numbers off the screen: what each player of the compare grid *shows*, decoded
//! from a WebDriver screenshot of clips made with [`crate::Picture::FrameNumber`].
//!
//! Such a clip paints [`STRIPES`] vertical stripes across every frame: a white guard, the
//! frame number in [`FRAME_BITS`] bits (most significant first, white = 1), a black guard.
//! The guards tell a painted frame from an unpainted (black) player, and every stripe must
//! be clearly black or white, so a half-decoded or blended picture reads as `None`, never
//! as a wrong number. Stripes span the whole height; they are read at mid-height, clear of
//! the cards' corner labels.

use crate::webdriver::Session;
use crate::E2eError;

/// Bits of frame number a clip paints (frames 0–255).
pub const FRAME_BITS: u32 = 8;
/// Stripes across a frame: a white guard, the bits, a black guard.
pub const STRIPES: u32 = FRAME_BITS + 2;

/// The ffmpeg filter that paints each frame's number (after a `color` source).
pub fn frame_number_filter() -> String {
    let s = format!("floor(X*{STRIPES}/W)");
    format!(
        "geq=lum='if(eq({s}\\,0)\\,235\\,if(eq({s}\\,{last})\\,16\\,if(bitand(N\\,pow(2\\,{top}-{s}))\\,235\\,16)))':cb=128:cr=128",
        last = STRIPES - 1,
        top = FRAME_BITS,
    )
}

/// Where one player's picture is on the screen, in screenshot pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct PictureRect {
    /// `data-take-id`.
    pub take_id: i64,
    /// The picture (the video's content box, letterboxing removed).
    pub left: f64,
    /// Top edge.
    pub top: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
    /// The player is on screen: not hidden by solo, A/B or a clipped wipe half.
    pub visible: bool,
}

/// Each player's content box (object-fit: contain), scaled to device pixels.
const PICTURES: &str = r#"
const dpr = window.devicePixelRatio || 1;
return [...document.querySelectorAll('[data-testid="compare-grid"] video[data-take-id]')].map((v) => {
  const r = v.getBoundingClientRect();
  const vw = v.videoWidth || r.width, vh = v.videoHeight || r.height;
  const scale = Math.min(r.width / vw, r.height / vh);
  const w = vw * scale, h = vh * scale;
  const cell = v.closest('.cell');
  const hidden = !cell || cell.classList.contains('off') || cell.classList.contains('invisible')
    || getComputedStyle(cell).visibility === 'hidden' || r.width === 0;
  return {
    takeId: Number(v.dataset.takeId),
    left: (r.left + (r.width - w) / 2) * dpr,
    top: (r.top + (r.height - h) / 2) * dpr,
    width: w * dpr,
    height: h * dpr,
    visible: !hidden,
  };
});
"#;

/// The players' pictures as laid out now.
pub fn picture_rects(session: &Session) -> Result<Vec<PictureRect>, E2eError> {
    let value = session.execute(PICTURES, &[])?;
    let rects = value.as_array().map(Vec::as_slice).unwrap_or_default();
    Ok(rects
        .iter()
        .map(|r| {
            let num = |k: &str| r[k].as_f64().unwrap_or(f64::NAN);
            PictureRect {
                take_id: r["takeId"].as_i64().unwrap_or(-1),
                left: num("left"),
                top: num("top"),
                width: num("width"),
                height: num("height"),
                visible: r["visible"].as_bool().unwrap_or(false),
            }
        })
        .collect())
}

/// A decoded RGB screenshot.
pub struct Screen {
    width: u32,
    height: u32,
    /// Row-major RGB8.
    rgb: Vec<u8>,
}

impl Screen {
    /// Decodes a PNG screenshot (RGB or RGBA, 8 bits).
    pub fn decode(png_bytes: &[u8]) -> Result<Screen, E2eError> {
        let bad = |e: png::DecodingError| E2eError::Protocol(format!("screenshot PNG: {e}"));
        let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        decoder.set_transformations(png::Transformations::normalize_to_color8());
        let mut reader = decoder.read_info().map_err(bad)?;
        let mut buf = vec![0; reader.output_buffer_size().unwrap_or(0)];
        let info = reader.next_frame(&mut buf).map_err(bad)?;
        let channels = info.color_type.samples();
        if channels < 3 {
            return Err(E2eError::Protocol(format!(
                "screenshot is {:?}, not RGB",
                info.color_type
            )));
        }
        let rgb = buf[..info.buffer_size()]
            .chunks_exact(channels)
            .flat_map(|px| [px[0], px[1], px[2]])
            .collect();
        Ok(Screen {
            width: info.width,
            height: info.height,
            rgb,
        })
    }

    /// Takes and decodes a screenshot of the window.
    pub fn take(session: &Session) -> Result<Screen, E2eError> {
        Screen::decode(&session.screenshot_png()?)
    }

    /// Mean luma (0–255) of the 5×5 block around (`x`, `y`); `None` off screen.
    fn luma_around(&self, x: f64, y: f64) -> Option<f64> {
        let (cx, cy) = (x.round() as i64, y.round() as i64);
        let mut sum = 0.0;
        for dy in -2..=2 {
            for dx in -2..=2 {
                let (px, py) = (cx + dx, cy + dy);
                if px < 0 || py < 0 || px >= i64::from(self.width) || py >= i64::from(self.height) {
                    return None;
                }
                let i = (py as usize * self.width as usize + px as usize) * 3;
                let [r, g, b] = [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]].map(f64::from);
                sum += 0.2126 * r + 0.7152 * g + 0.0722 * b;
            }
        }
        Some(sum / 25.0)
    }

    /// The stripes' levels across `rect` at mid-height: `Some(true)` white, `Some(false)`
    /// black, `None` neither.
    fn stripes(&self, rect: &PictureRect) -> Vec<Option<bool>> {
        let y = rect.top + rect.height / 2.0;
        (0..STRIPES)
            .map(|s| {
                let x = rect.left + (f64::from(s) + 0.5) * rect.width / f64::from(STRIPES);
                match self.luma_around(x, y)? {
                    l if l >= 190.0 => Some(true),
                    l if l <= 60.0 => Some(false),
                    _ => None,
                }
            })
            .collect()
    }

    /// The frame number the picture in `rect` shows; `None` when it shows no numbered
    /// frame cleanly (unpainted, blended, not a numbered clip).
    pub fn frame_in(&self, rect: &PictureRect) -> Option<i64> {
        let stripes = self.stripes(rect);
        let (first, bits, last) = (
            stripes[0]?,
            &stripes[1..=FRAME_BITS as usize],
            stripes[STRIPES as usize - 1]?,
        );
        if !first || last {
            return None;
        }
        bits.iter()
            .try_fold(0_i64, |n, bit| Some(n * 2 + i64::from((*bit)?)))
    }
}

/// What every visible player shows now: take id → frame read off the screen.
pub fn shown_frames(session: &Session) -> Result<Vec<(i64, Option<i64>)>, E2eError> {
    let rects = picture_rects(session)?;
    let screen = Screen::take(session)?;
    Ok(rects
        .iter()
        .filter(|r| r.visible)
        .map(|r| (r.take_id, screen.frame_in(r)))
        .collect())
}
