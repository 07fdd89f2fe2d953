// MMSeg's configs/_base_/schedules/schedule_80k.py.
import { polySchedule } from './poly-schedule.ts';

export default polySchedule(80000);
