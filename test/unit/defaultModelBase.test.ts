import { describe, expect, it } from 'vitest';
import { scriptOnStack } from '../../src/models/defaultModelBase';

describe('the IIFE bundle found on the stack (importScripts in a Worker)', () => {
  it("reads Chromium's, Firefox's and Safari's stack lines", () => {
    const chromium = [
      'Error',
      '    at http://127.0.0.1:4173/dist/localface.iife.js:1:4021',
      '    at blob:http://127.0.0.1:4173/7b1f3c2e-0000-4000-8000-000000000000:1:1',
    ].join('\n');
    expect(scriptOnStack(chromium)).toBe('http://127.0.0.1:4173/dist/localface.iife.js');
    expect(scriptOnStack('@https://cdn.example/app/lib/localface.iife.js:3:120\n@blob:x:1:1')).toBe(
      'https://cdn.example/app/lib/localface.iife.js',
    );
    expect(scriptOnStack('global code@file:///srv/www/localface.iife.js:1:99')).toBe(
      'file:///srv/www/localface.iife.js',
    );
  });

  it('skips blob: scripts and gives up on a stack without a script URL', () => {
    expect(scriptOnStack('    at blob:http://h/uuid:1:1\n    at http://h/w/lib.js:2:3')).toBe('http://h/w/lib.js');
    expect(scriptOnStack('Error\n    at <anonymous>:1:1')).toBeUndefined();
    expect(scriptOnStack(undefined)).toBeUndefined();
  });
});
