import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultActor, engineSettings } from './settings.js';

describe('engineSettings', () => {
  it('defaults to a durable store in ./.aob', () => {
    expect(engineSettings({}, '/work/x')).toEqual({
      home: path.resolve('/work/x/.aob'),
      store: 'file',
      allowPrivateNetwork: false,
    });
  });

  it('reads AOB_HOME and AOB_HANDLERS, resolving them from the cwd', () => {
    const s = engineSettings({ AOB_HOME: 'state', AOB_HANDLERS: './h.js' }, '/w');
    expect(s.home).toBe(path.resolve('/w/state'));
    expect(s.handlersFile).toBe(path.resolve('/w/h.js'));
  });

  it('lets flags win over the environment', () => {
    const s = engineSettings({ AOB_HANDLERS: 'env.js' }, '/w', {
      handlers: '/abs/flag.js',
      store: 'memory',
      allowPrivateNetwork: true,
    });
    expect(s).toMatchObject({
      handlersFile: '/abs/flag.js',
      store: 'memory',
      allowPrivateNetwork: true,
    });
  });
});

describe('defaultActor', () => {
  it('prefers $USER, then the OS account', () => {
    expect(defaultActor({ USER: 'alice' }, () => 'bob')).toBe('alice');
    expect(defaultActor({}, () => 'bob')).toBe('bob');
    expect(
      defaultActor({}, () => {
        throw new Error('no passwd entry');
      }),
    ).toBe('unknown');
  });
});
