//! PNG and PDF from the map's SVG, rendered on the server with resvg and svg2pdf and a font
//! compiled into the binary, so the output is the same on every host.

use std::sync::{Arc, OnceLock};

use resvg::tiny_skia;
use usvg::fontdb;

/// Largest picture rendered, in pixels; beyond it a PNG would take seconds and hundreds of MB.
pub const MAX_PIXELS: u64 = 64_000_000;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the image would be {width}×{height} pixels; choose a smaller scale (at most {MAX_PIXELS} pixels)")]
    TooLarge { width: u64, height: u64 },
    #[error("cannot render the map: {0}")]
    Failed(String),
}

fn fonts() -> Arc<fontdb::Database> {
    static FONTS: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = fontdb::Database::new();
            db.load_font_data(dejavu::sans::regular().to_vec());
            db.load_font_data(dejavu::sans::bold().to_vec());
            db.set_sans_serif_family("DejaVu Sans");
            Arc::new(db)
        })
        .clone()
}

fn tree(svg: &str) -> Result<usvg::Tree, RenderError> {
    let options = usvg::Options {
        fontdb: fonts(),
        ..usvg::Options::default()
    };
    usvg::Tree::from_str(svg, &options).map_err(|e| RenderError::Failed(e.to_string()))
}

/// The picture as PNG, `scale` times its natural size (1 = one pixel per SVG unit).
pub fn png(svg: &str, scale: f32) -> Result<Vec<u8>, RenderError> {
    let tree = tree(svg)?;
    let width = (tree.size().width() * scale).ceil() as u64;
    let height = (tree.size().height() * scale).ceil() as u64;
    if width.saturating_mul(height) > MAX_PIXELS {
        return Err(RenderError::TooLarge { width, height });
    }
    let mut pixmap = tiny_skia::Pixmap::new(width as u32, height as u32)
        .ok_or_else(|| RenderError::Failed("empty picture".into()))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| RenderError::Failed(e.to_string()))
}

/// The picture as a one-page vector PDF the size of the map.
pub fn pdf(svg: &str) -> Result<Vec<u8>, RenderError> {
    let tree = tree(svg)?;
    svg2pdf::to_pdf(
        &tree,
        svg2pdf::ConversionOptions::default(),
        svg2pdf::PageOptions::default(),
    )
    .map_err(|e| RenderError::Failed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><text x="5" y="25" font-family="DejaVu Sans" font-size="14">Hello</text></svg>"##;

    #[test]
    fn renders_png_and_pdf() {
        let png = png(SVG, 2.0).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        // 240×80 at scale 2: a PNG that small still carries the glyphs' pixels.
        assert!(png.len() > 200, "{} bytes", png.len());
        let pdf = pdf(SVG).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(matches!(
            super::png(SVG, 1000.0),
            Err(RenderError::TooLarge { .. })
        ));
    }
}
