/**
 * @module gateway/daily-spend
 * The day's cloud spend, for the daily budget: seeded from the stored profiles when the gateway starts
 * (a restart does not reset the budget), then added to as attempts finish, and reset at midnight UTC.
 */
import type { ProfileRepository } from '../db/profile-repository.js';
import type { Clock } from './clock.js';

const dayMs = 86_400_000;

export class DailySpend {
  private spentDay: number;
  private spentToday: number;

  constructor(
    private readonly clock: Clock,
    repository: Pick<ProfileRepository, 'sumCostSince'>,
  ) {
    const now = clock.now();
    this.spentDay = Math.floor(now / dayMs);
    this.spentToday = repository.sumCostSince(this.spentDay * dayMs);
  }

  dollars(): number {
    this.rollDay();
    return this.spentToday;
  }

  add(dollars: number): void {
    this.rollDay();
    this.spentToday += dollars;
  }

  private rollDay(): void {
    const day = Math.floor(this.clock.now() / dayMs);
    if (day !== this.spentDay) {
      this.spentDay = day;
      this.spentToday = 0;
    }
  }
}
