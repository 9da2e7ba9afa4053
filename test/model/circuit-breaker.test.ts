/**
 * The circuit breaker as a pure state machine: every transition driven by a hand-moved clock, no timers.
 */
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/model/circuit-breaker.js';

function breaker(failureThreshold = 3, coolDownMs = 1_000) {
  const clock = { now: 10_000 };
  const subject = new CircuitBreaker({ failureThreshold, coolDownMs, now: () => clock.now });
  return { clock, subject };
}

function fail(subject: CircuitBreaker, times: number): void {
  for (let i = 0; i < times; i += 1) {
    expect(subject.tryAcquire()).toBe(true);
    subject.onFailure();
  }
}

describe('CircuitBreaker', () => {
  it('stays closed below the threshold, and a success resets the count', () => {
    const { subject } = breaker(3);
    fail(subject, 2);
    expect(subject.state).toBe('closed');
    expect(subject.consecutiveFailures).toBe(2);
    subject.onSuccess();
    expect(subject.consecutiveFailures).toBe(0);
    fail(subject, 2);
    expect(subject.state).toBe('closed');
    expect(subject.tryAcquire()).toBe(true);
  });

  it('opens after N consecutive failures and refuses every attempt until the cool-down ends', () => {
    const { clock, subject } = breaker(3, 1_000);
    fail(subject, 3);
    expect(subject.state).toBe('open');
    expect(subject.tryAcquire()).toBe(false);
    clock.now += 999;
    expect(subject.state).toBe('open');
    expect(subject.tryAcquire()).toBe(false);
    clock.now += 1;
    expect(subject.state).toBe('half-open');
  });

  it('half-open lets exactly one probe through; its success closes the breaker', () => {
    const { clock, subject } = breaker(2, 500);
    fail(subject, 2);
    clock.now += 500;
    expect(subject.tryAcquire()).toBe(true);
    expect(subject.tryAcquire()).toBe(false);
    expect(subject.tryAcquire()).toBe(false);
    expect(subject.state).toBe('half-open');
    subject.onSuccess();
    expect(subject.state).toBe('closed');
    expect(subject.tryAcquire()).toBe(true);
    expect(subject.tryAcquire()).toBe(true);
  });

  it('a failed probe reopens at once and restarts the cool-down', () => {
    const { clock, subject } = breaker(2, 500);
    fail(subject, 2);
    clock.now += 600;
    expect(subject.tryAcquire()).toBe(true);
    subject.onFailure();
    expect(subject.state).toBe('open');
    expect(subject.tryAcquire()).toBe(false);
    clock.now += 499;
    expect(subject.tryAcquire()).toBe(false);
    clock.now += 1;
    expect(subject.tryAcquire()).toBe(true);
  });

  it('a probe whose outcome is never reported stops blocking after another cool-down', () => {
    const { clock, subject } = breaker(1, 300);
    fail(subject, 1);
    clock.now += 300;
    expect(subject.tryAcquire()).toBe(true);
    clock.now += 299;
    expect(subject.tryAcquire()).toBe(false);
    clock.now += 1;
    expect(subject.tryAcquire()).toBe(true);
  });

  it('failures of attempts already in flight when it opened do not extend the cool-down', () => {
    const { clock, subject } = breaker(2, 1_000);
    expect(subject.tryAcquire()).toBe(true);
    expect(subject.tryAcquire()).toBe(true);
    expect(subject.tryAcquire()).toBe(true);
    subject.onFailure();
    subject.onFailure();
    expect(subject.state).toBe('open');
    clock.now += 800;
    subject.onFailure();
    clock.now += 200;
    expect(subject.state).toBe('half-open');
  });

  it('rejects thresholds and cool-downs that make no sense, naming the bad value', () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0, coolDownMs: 1 })).toThrow(
      'CircuitBreaker failureThreshold must be a positive integer, but got: 0',
    );
    expect(() => new CircuitBreaker({ failureThreshold: 1.5, coolDownMs: 1 })).toThrow('but got: 1.5');
    expect(() => new CircuitBreaker({ failureThreshold: 1, coolDownMs: -1 })).toThrow(
      'CircuitBreaker coolDownMs must be a non-negative number of milliseconds, but got: -1',
    );
  });

  it('endCoolDown lets the next attempt probe at once, and changes nothing unless open', () => {
    const { subject } = breaker(2, 60_000);
    subject.endCoolDown();
    expect(subject.state).toBe('closed');
    fail(subject, 2);
    expect(subject.tryAcquire()).toBe(false);
    subject.endCoolDown();
    expect(subject.state).toBe('half-open');
    expect(subject.tryAcquire()).toBe(true);
    expect(subject.tryAcquire()).toBe(false);
    subject.onSuccess();
    expect(subject.state).toBe('closed');
  });
});
