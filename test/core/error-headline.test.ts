import {describe, expect, it} from 'vitest'
import {errorHeadline} from '../../src/core/escape.js'

describe('errorHeadline: one stderr line from an error', () => {
  it("joins the first two non-empty lines and drops oclif's help pointer", () => {
    const e = new Error('Nonexistent flag: --jsn\n\n  See more help with --help\nthird line')
    expect(errorHeadline(e)).toBe('Nonexistent flag: --jsn: third line')
    expect(errorHeadline(new Error('  one line  '))).toBe('one line')
  })
  it('an error without a message, and a thrown non-Error', () => {
    expect(errorHeadline(new Error(''))).toBe('Error')
    expect(errorHeadline('plain text\nsecond\nthird')).toBe('plain text: second')
  })
})
