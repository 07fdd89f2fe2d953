// MMSeg's configs/_base_/schedules/schedule_160k.py.
import { polySchedule } from './poly-schedule.ts';

export default polySchedule(160000);
