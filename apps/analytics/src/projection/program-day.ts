import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns';

/** The calendar day ("2025-03-04") of an instant in the program's time zone. */
export function programDay(instant: string, timeZone: string): string {
  return format(new TZDate(Date.parse(instant), timeZone), 'yyyy-MM-dd');
}
