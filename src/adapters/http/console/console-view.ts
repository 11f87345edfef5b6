import { Inject, Injectable } from '@nestjs/common';
import type { ConsoleSession } from '../../../modules/console/domain/console-user';
import { BUS_CONFIG, type BusConfig } from '../../config/bus-config';
import { ConsoleClock, esc, page, type Lang } from './html';

/** Urgency as the documents say it (OtherInfo/Priority 0…4). */
export const PRIORITY = ['Thường', 'Khẩn', 'Thượng khẩn', 'Hỏa tốc', 'Hỏa tốc hẹn giờ'];

/** What every page shares: times in the console's zone, and the frame with the note saying which. */
@Injectable()
export class ConsoleView {
  readonly clock: ConsoleClock;
  private readonly zoneNote: string;

  constructor(@Inject(BUS_CONFIG) config: BusConfig) {
    this.clock = new ConsoleClock(config.consoleTimeZone);
    this.zoneNote = `${this.clock.timeZone} (${this.clock.zoneLabel})`;
  }

  when(d: Date, lang: Lang, seconds = true): string {
    return esc(this.clock.format(d, lang, seconds));
  }

  page(lang: Lang, title: string, body: string, s: ConsoleSession | null): string {
    return page(lang, title, body, s, this.zoneNote);
  }
}
