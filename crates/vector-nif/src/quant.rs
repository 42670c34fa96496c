//! Quantisation. int8 is symmetric per vector: scale = max|v| / 127, code = round(v / scale), so codes lie
//! in [-127, 127] and `scale_a * scale_b * (codes_a · codes_b)` estimates `a · b` (for unit vectors, the
//! cosine). 1-bit keeps the sign: bit i (LSB first within each byte) is 1 when v[i] > 0.

/// Quantises one vector to int8 codes; returns its scale (0 for an all-zero vector).
pub fn quantize_int8(vector: &[f32], codes: &mut [i8]) -> f32 {
    let max = vector.iter().fold(0f32, |m, v| m.max(v.abs()));
    if max == 0.0 || !max.is_finite() {
        codes.iter_mut().for_each(|c| *c = 0);
        return 0.0;
    }
    let scale = max / 127.0;
    let inverse = 127.0 / max;
    for (code, value) in codes.iter_mut().zip(vector) {
        *code = round_code(value * inverse);
    }
    scale
}

/// Rounds half away from zero and clamps to [-127, 127], exactly like `sign(x) · min(round(|x|), 127)` in the
/// JS fallback. Written without `f32::round` (a libm call on baseline x86_64), so the loop vectorises:
/// |x| ≤ 127 here, so truncation and the fraction are exact in f32.
#[inline(always)]
fn round_code(scaled: f32) -> i8 {
    let magnitude = scaled.abs();
    let whole = magnitude as i32;
    let rounded = (whole + i32::from(magnitude - whole as f32 >= 0.5)).min(127);
    (if scaled < 0.0 { -rounded } else { rounded }) as i8
}

/// Bytes per vector in the 1-bit layout.
pub fn binary_bytes(dims: usize) -> usize {
    dims.div_ceil(8)
}

/// Quantises one vector to sign bits.
pub fn quantize_binary(vector: &[f32], bits: &mut [u8]) {
    let mut chunks = vector.chunks_exact(8);
    for (byte, chunk) in bits.iter_mut().zip(&mut chunks) {
        // Branch-free packing of eight sign bits, LSB first.
        let mut packed = 0u8;
        for (k, value) in chunk.iter().enumerate() {
            packed |= u8::from(*value > 0.0) << k;
        }
        *byte = packed;
    }
    let tail = chunks.remainder();
    if let Some(last) = bits.get_mut(vector.len() / 8) {
        if !tail.is_empty() {
            let mut packed = 0u8;
            for (k, value) in tail.iter().enumerate() {
                packed |= u8::from(*value > 0.0) << k;
            }
            *last = packed;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int8_round_trip_is_close_and_symmetric() {
        let v = [0.5f32, -1.0, 0.25, 0.0, -0.125];
        let mut codes = [0i8; 5];
        let scale = quantize_int8(&v, &mut codes);
        assert_eq!(codes, [64, -127, 32, 0, -16]);
        for (c, x) in codes.iter().zip(v) {
            assert!((*c as f32 * scale - x).abs() <= scale / 2.0 + 1e-7);
        }
    }

    #[test]
    fn int8_of_zero_vector_is_zero_scale() {
        let mut codes = [1i8; 3];
        assert_eq!(quantize_int8(&[0.0, 0.0, 0.0], &mut codes), 0.0);
        assert_eq!(codes, [0, 0, 0]);
    }

    #[test]
    fn round_code_rounds_half_away_from_zero_exactly() {
        assert_eq!(round_code(2.5), 3);
        assert_eq!(round_code(-2.5), -3);
        assert_eq!(round_code(0.49999997), 0);
        assert_eq!(round_code(-0.49999997), 0);
        assert_eq!(round_code(126.5), 127);
        assert_eq!(round_code(127.0), 127);
        assert_eq!(round_code(-0.0), 0);
        for i in -1270..=1270 {
            let x = i as f32 / 10.0;
            let expected = (x.abs().round().min(127.0) as i32 * if x < 0.0 { -1 } else { 1 }) as i8;
            assert_eq!(round_code(x), expected, "x={x}");
        }
    }

    #[test]
    fn binary_sets_bits_lsb_first() {
        let mut bits = [0u8; 2];
        quantize_binary(&[1.0, -1.0, 0.0, 2.0, -0.5, 0.1, -3.0, 0.2, 5.0], &mut bits);
        assert_eq!(bits, [0b1010_1001, 0b0000_0001]);
        assert_eq!(binary_bytes(384), 48);
        assert_eq!(binary_bytes(385), 49);
    }
}
