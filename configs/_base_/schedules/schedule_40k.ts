// MMSeg's configs/_base_/schedules/schedule_40k.py.
import { polySchedule } from './poly-schedule.ts';

export default polySchedule(40000);
