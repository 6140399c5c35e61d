//! Charts drawn on the server as SVG images: horizontal bars (a label per bar, long names
//! fit) and lines over days. Presentation attributes only (`fill=`, `stroke=`), never a
//! `style` attribute or element, so the images pass the console's CSP; every text is
//! escaped. Written here rather than taken from a plotting crate: two chart kinds, a few
//! hundred lines, and no font or bitmap code in the binary.

/// Escapes text for SVG (XML) content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 has no place for other control characters.
            c if c.is_control() && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Colours of successive series, readable on white and told apart without colour vision
/// by their order in the legend.
const PALETTE: [&str; 6] = ["#1b6b4f", "#c0392b", "#2e5fa8", "#b7791f", "#6b3fa0", "#4a4a4a"];
const FONT: &str = "font-family=\"DejaVu Sans, sans-serif\"";
const INK: &str = "#1f2a24";
const GRID: &str = "#d5ddd8";

fn open(width: u32, height: u32, title: &str) -> String {
    let title = escape(title);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" \
         width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"{title}\">\
         <title>{title}</title><rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>"
    )
}

/// A label cut to `max` characters, with an ellipsis when cut.
fn cut(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_owned()
    } else {
        let kept: String = label.chars().take(max.saturating_sub(1)).collect();
        format!("{kept}…")
    }
}

/// A round step for an axis up to `max` in about five ticks.
fn step(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let raw = max / 5.0;
    let power = 10f64.powf(raw.log10().floor());
    let scaled = raw / power;
    let nice = if scaled <= 1.0 {
        1.0
    } else if scaled <= 2.0 {
        2.0
    } else if scaled <= 5.0 {
        5.0
    } else {
        10.0
    };
    (nice * power).max(1.0)
}

/// Horizontal bars: one row per `(label, value)`, the value written at the bar's end.
pub(crate) fn bars(title: &str, rows: &[(String, u64)]) -> String {
    const WIDTH: u32 = 720;
    const LABEL: u32 = 270;
    const ROW: u32 = 28;
    const TOP: u32 = 36;
    let height = TOP + ROW * rows.len().max(1) as u32 + 30;
    let mut svg = open(WIDTH, height, title);
    svg.push_str(&format!(
        "<text x=\"8\" y=\"22\" {FONT} font-size=\"15\" font-weight=\"bold\" fill=\"{INK}\">{}</text>",
        escape(title)
    ));
    let max = rows.iter().map(|(_, v)| *v).max().unwrap_or(0) as f64;
    let tick = step(max);
    let top = (max / tick).ceil().max(1.0) * tick;
    let span = f64::from(WIDTH - LABEL - 60);
    let scale = |v: f64| f64::from(LABEL) + v / top * span;
    let bottom = TOP + ROW * rows.len().max(1) as u32;
    let mut at = 0.0;
    while at <= top + 0.5 {
        let x = scale(at);
        svg.push_str(&format!(
            "<line x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{bottom}\" stroke=\"{GRID}\"/>\
             <text x=\"{x:.1}\" y=\"{}\" {FONT} font-size=\"11\" text-anchor=\"middle\" fill=\"{INK}\">{at}</text>",
            bottom + 16
        ));
        at += tick;
    }
    for (index, (label, value)) in rows.iter().enumerate() {
        let y = TOP + ROW * index as u32;
        let end = scale(*value as f64);
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" {FONT} font-size=\"12\" text-anchor=\"end\" fill=\"{INK}\">{}</text>\
             <rect x=\"{LABEL}\" y=\"{}\" width=\"{:.1}\" height=\"{}\" fill=\"{}\"/>\
             <text x=\"{:.1}\" y=\"{}\" {FONT} font-size=\"12\" fill=\"{INK}\">{value}</text>",
            LABEL - 8,
            y + 18,
            escape(&cut(label, 34)),
            y + 5,
            end - f64::from(LABEL),
            ROW - 10,
            PALETTE[0],
            end + 6.0,
            y + 18,
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// Lines over `days` (x labels, every few shown): one per `(name, values)`, values from 0
/// to `y_max`, the y axis labelled with `unit` (`%`, or empty).
pub(crate) fn lines(
    title: &str,
    days: &[String],
    series: &[(String, Vec<f64>)],
    y_max: Option<f64>,
    unit: &str,
) -> String {
    const WIDTH: u32 = 720;
    const LEFT: f64 = 56.0;
    const RIGHT: f64 = 16.0;
    const TOP: f64 = 40.0;
    const PLOT: f64 = 200.0;
    let legend_rows = series.len().div_ceil(3) as u32;
    let height = (TOP + PLOT) as u32 + 44 + 20 * legend_rows;
    let mut svg = open(WIDTH, height, title);
    svg.push_str(&format!(
        "<text x=\"8\" y=\"22\" {FONT} font-size=\"15\" font-weight=\"bold\" fill=\"{INK}\">{}</text>",
        escape(title)
    ));
    let max = series.iter().flat_map(|(_, v)| v.iter().copied()).fold(0.0, f64::max);
    let top = match y_max {
        Some(top) => top,
        None => {
            let tick = step(max);
            (max / tick).ceil().max(1.0) * tick
        }
    };
    let tick = step(top);
    let width = f64::from(WIDTH) - LEFT - RIGHT;
    let x = |i: usize| LEFT + width * i as f64 / (days.len().max(2) - 1) as f64;
    let y = |v: f64| TOP + PLOT - v.clamp(0.0, top) / top * PLOT;
    let mut at = 0.0;
    while at <= top + 1e-9 {
        svg.push_str(&format!(
            "<line x1=\"{LEFT}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{GRID}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" {FONT} font-size=\"11\" text-anchor=\"end\" fill=\"{INK}\">{at}{}</text>",
            y(at),
            LEFT + width,
            y(at),
            LEFT - 6.0,
            y(at) + 4.0,
            escape(unit)
        ));
        at += tick;
    }
    let every = days.len().div_ceil(7).max(1);
    for (i, day) in days.iter().enumerate() {
        if i % every == 0 || i + 1 == days.len() {
            svg.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" {FONT} font-size=\"11\" text-anchor=\"middle\" fill=\"{INK}\">{}</text>",
                x(i),
                TOP + PLOT + 16.0,
                escape(day)
            ));
        }
    }
    for (index, (name, values)) in series.iter().enumerate() {
        let colour = PALETTE[index % PALETTE.len()];
        let points: Vec<String> =
            values.iter().enumerate().map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v))).collect();
        svg.push_str(&format!(
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>",
            points.join(" ")
        ));
        let (lx, ly) =
            (LEFT + 230.0 * (index % 3) as f64, TOP + PLOT + 36.0 + 20.0 * (index / 3) as f64);
        svg.push_str(&format!(
            "<rect x=\"{lx:.1}\" y=\"{:.1}\" width=\"14\" height=\"4\" fill=\"{colour}\"/>\
             <text x=\"{:.1}\" y=\"{ly:.1}\" {FONT} font-size=\"12\" fill=\"{INK}\">{}</text>",
            ly - 6.0,
            lx + 20.0,
            escape(&cut(name, 30))
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_no_style_is_used() {
        let svg = bars("<b>&", &[("<script>x</script>\"'".into(), 3), ("b".into(), 10)]);
        assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;"), "{svg}");
        assert!(svg.contains("&lt;b&gt;&amp;"), "{svg}");
        assert!(!svg.contains("style"), "{svg}");
        assert!(svg.contains(">10</text>") && svg.contains(">3</text>"), "{svg}");
        let svg = lines(
            "t",
            &["d1".into(), "d2".into()],
            &[("<k>".into(), vec![0.5, 1.0])],
            Some(100.0),
            "%",
        );
        assert!(svg.contains("&lt;k&gt;") && !svg.contains("style"), "{svg}");
    }

    #[test]
    fn steps_are_round() {
        assert_eq!(step(0.0), 1.0);
        assert_eq!(step(9.0), 2.0);
        assert_eq!(step(100.0), 20.0);
        assert_eq!(step(1234.0), 500.0);
        assert_eq!(cut("abcdef", 4), "abc…");
    }
}
