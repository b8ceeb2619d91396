import { describe, expect, it } from 'vitest';
import { isSrgbProfile } from '../../src/adapters/sharp/srgb-profile.js';
import { curve, HP_STYLE_SRGB, namedProfile, profile, srgbDecode, SRGB_COLORANTS, xyz, type Tag } from '../support/icc-profiles.js';

const curves = (data: Buffer): Tag[] => [
  ['rTRC', data],
  ['gTRC', data],
  ['bTRC', data],
];

describe('isSrgbProfile', () => {
  it("takes sharp's own sRGB profile (v4, parametric curves) and an HP-style one (v2, 1024-entry tables)", async () => {
    expect(isSrgbProfile(await namedProfile('srgb'))).toBe(true);
    expect(isSrgbProfile(HP_STYLE_SRGB)).toBe(true);
  });

  it('refuses Display P3 (same tone curve, other colorants) and CMYK', async () => {
    expect(isSrgbProfile(await namedProfile('p3'))).toBe(false);
    expect(isSrgbProfile(await namedProfile('cmyk'))).toBe(false);
  });

  it('refuses sRGB colorants with another tone curve: a pure gamma 2.2, or a table off by more than half a step', () => {
    const gamma = Buffer.alloc(14);
    gamma.write('curv', 0, 'latin1');
    gamma.writeUInt32BE(1, 8);
    gamma.writeUInt16BE(Math.round(2.2 * 256), 12);
    expect(isSrgbProfile(profile([...SRGB_COLORANTS, ...curves(gamma)]))).toBe(false);
    expect(isSrgbProfile(profile([...SRGB_COLORANTS, ...curves(curve(1024, (x) => x ** 2.2))]))).toBe(false);
  });

  it('refuses colorants 0.002 off sRGB', () => {
    const shifted: Tag[] = [['rXYZ', xyz([0.4381, 0.2225, 0.0139])], ...SRGB_COLORANTS.slice(1)];
    expect(isSrgbProfile(profile([...shifted, ...curves(curve(1024, srgbDecode))]))).toBe(false);
  });

  it('refuses a profile with lookup tables, which lcms would use instead of the matrix', () => {
    const table = Buffer.alloc(32);
    table.write('mft2', 0, 'latin1');
    expect(isSrgbProfile(profile([...SRGB_COLORANTS, ...curves(curve(1024, srgbDecode)), ['A2B0', table]]))).toBe(false);
  });

  it('refuses missing tags, truncated profiles, tags pointing past the end, and bytes that are no profile', () => {
    expect(isSrgbProfile(profile(SRGB_COLORANTS))).toBe(false);
    expect(isSrgbProfile(HP_STYLE_SRGB.subarray(0, 300))).toBe(false);
    expect(isSrgbProfile(HP_STYLE_SRGB.subarray(0, 100))).toBe(false);
    const pastTheEnd = Buffer.from(HP_STYLE_SRGB);
    pastTheEnd.writeUInt32BE(HP_STYLE_SRGB.length, 132 + 4);
    expect(isSrgbProfile(pastTheEnd)).toBe(false);
    expect(isSrgbProfile(Buffer.alloc(4096, 0x41))).toBe(false);
    expect(isSrgbProfile(new Uint8Array(0))).toBe(false);
  });
});
