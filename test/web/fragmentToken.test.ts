import fc from 'fast-check';
import { MAX_TOKEN_LENGTH, tokenFromFragment, tokenProblem } from '../../src/web/fragmentToken';

describe('tokenFromFragment (the page reads #token= from its address)', () => {
  it('takes the token and keeps the rest of the fragment', () => {
    expect(tokenFromFragment('#token=abc.def-ghi_1')).toEqual({ token: 'abc.def-ghi_1', rest: '', problem: null });
    expect(tokenFromFragment('#x=1&token=a%2Bb%3D&y=2')).toEqual({ token: 'a+b=', rest: 'x=1&y=2', problem: null });
    // '+' stays a plus (base64 tokens), it is not a space as in a query string.
    expect(tokenFromFragment('#token=a+b')).toMatchObject({ token: 'a+b' });
    expect(tokenFromFragment('')).toEqual({ token: null, rest: '', problem: null });
    expect(tokenFromFragment('#section')).toEqual({ token: null, rest: 'section', problem: null });
  });

  it('takes every token= part out of the address, and uses the first', () => {
    expect(tokenFromFragment('#token=first&token=second&keep')).toEqual({ token: 'first', rest: 'keep', problem: null });
  });

  it('refuses a token it could not send as a bearer token, and says why', () => {
    expect(tokenFromFragment('#token=')).toEqual({ token: null, rest: '', problem: 'the token is empty' });
    expect(tokenFromFragment('#token=%E0%A4%A')).toMatchObject({ token: null, problem: expect.stringMatching(/percent-encoded/) });
    expect(tokenFromFragment('#token=a%20b')).toMatchObject({ token: null, problem: expect.stringMatching(/visible ASCII/) });
    expect(tokenFromFragment('#token=%C3%A9')).toMatchObject({ token: null, problem: expect.stringMatching(/visible ASCII/) });
    expect(tokenFromFragment(`#token=${'a'.repeat(MAX_TOKEN_LENGTH + 1)}`)).toMatchObject({ token: null, problem: expect.stringMatching(/longer/) });
  });

  it('property: any usable token round-trips through encodeURIComponent, beside any other fragment parts', () => {
    const visibleAscii = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)), minLength: 1, maxLength: 200 });
    const otherPart = fc.string({ maxLength: 20 }).filter((part) => !part.includes('&') && !part.startsWith('token=') && part !== '');
    fc.assert(
      fc.property(visibleAscii, fc.array(otherPart, { maxLength: 3 }), fc.array(otherPart, { maxLength: 3 }), (token, before, after) => {
        const parsed = tokenFromFragment(`#${[...before, `token=${encodeURIComponent(token)}`, ...after].join('&')}`);
        expect(parsed).toEqual({ token, rest: [...before, ...after].join('&'), problem: null });
        expect(tokenProblem(token)).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it('property: any fragment parses without throwing, leaves no token= part in the address, and returns only sendable tokens', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (hash) => {
        const parsed = tokenFromFragment(hash);
        expect(parsed.rest.split('&').some((part) => part.startsWith('token='))).toBe(false);
        if (parsed.token !== null) {
          expect(parsed.problem).toBeNull();
          // What Headers accepts as a value: fetch would throw on anything else.
          expect(() => new Headers({ authorization: `Bearer ${parsed.token}` })).not.toThrow();
          expect(parsed.token).toMatch(/^[\x21-\x7e]+$/);
        }
      }),
      { numRuns: 500 },
    );
  });
});
