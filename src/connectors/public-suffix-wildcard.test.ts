import { describe, expect, it } from 'vitest';
import { publicSuffixWildcard } from './public-suffix-wildcard.js';

describe('publicSuffixWildcard', () => {
  it.each([
    ['*.com', /public suffix com\b/],
    ['*.COM.', /public suffix com\b/],
    ['*.com:443', /public suffix com\b/],
    ['*.co.uk', /public suffix co\.uk/],
    ['*.github.io', /public suffix github\.io/],
    ['*.herokuapp.com', /public suffix herokuapp\.com/],
    ['*.s3.amazonaws.com', /public suffix s3\.amazonaws\.com/],
    ['*.blogspot.com', /public suffix blogspot\.com/],
    ['*.uk', /public suffix uk\b/],
    ['*.internal', /top-level domain/],
    ['*.ck', /public suffix ck\b/],
    ['*.compute.amazonaws.com', /public suffix compute\.amazonaws\.com/],
    ['*.corp.compute-1.amazonaws.com', /public suffix/],
    ['*.foo.ck', /public suffix foo\.ck/],
    ['*.0.0.1', /IP addresses/],
  ])('refuses %s', (entry, why) => {
    expect(publicSuffixWildcard(entry)).toMatch(why);
  });

  it.each([
    'api.github.com',
    'com',
    'localhost',
    '*.example.com',
    '*.api.example.co.uk',
    '*.example.github.io',
    '*.corp.internal',
    '*.example.com:8443',
    '*.plain.test',
  ])('accepts %s', (entry) => {
    expect(publicSuffixWildcard(entry)).toBeUndefined();
  });
});
