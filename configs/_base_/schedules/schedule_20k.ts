// MMSeg's configs/_base_/schedules/schedule_20k.py.
import { polySchedule } from './poly-schedule.ts';

export default polySchedule(20000);
