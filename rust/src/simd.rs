//! SSE2 steps shared by the stages that scan a UTF-32 text sixteen code points at a time.

/// The sixteen code points at `at` as sixteen bytes, by signed saturation to 16 bits and then
/// unsigned saturation to 8: ASCII and 0x80..=0xFF stay as they are, larger code points become
/// 0xFF, and values past 2^31 (no code points; `batch_view` refuses them) become 0. So a byte
/// is ASCII exactly where its code point is, and every other byte, read as signed, is below
/// every ASCII value.
///
/// SAFETY: `at` points at sixteen readable u32 (unaligned is fine); SSE2 is in every x86-64.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) unsafe fn code_point_bytes(at: *const u32) -> std::arch::x86_64::__m128i {
    use std::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_packs_epi32, _mm_packus_epi16};
    let at = at.cast::<__m128i>();
    // SAFETY: the caller vouches for the four unaligned loads.
    unsafe {
        _mm_packus_epi16(
            _mm_packs_epi32(_mm_loadu_si128(at), _mm_loadu_si128(at.add(1))),
            _mm_packs_epi32(_mm_loadu_si128(at.add(2)), _mm_loadu_si128(at.add(3))),
        )
    }
}
