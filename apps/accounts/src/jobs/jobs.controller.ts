import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import type { ServerResponse as Response } from 'node:http';
import { IsISO8601 } from 'class-validator';
import { Roles } from '@jifen/platform';
import { JobAnswer, JobName, JobsService } from './jobs.service';

export class RunJobDto {
  /** The instant the run is as of (RFC 3339): lots due by then expire, holds ended by then are reviewed. */
  @IsISO8601({ strict: true, strictSeparator: true })
  asOf!: string;
}

/** How long a job request waits for its members' outcomes before answering 202 with counts so far. */
export const jobWaitMs = 5_000;

/**
 * On-demand runs of the expiry run and the tier review. 200 with counts once every member's
 * command has an outcome; 202 with the counts so far otherwise (posting the same asOf again
 * commands only members enrolled since, and answers the counts then known).
 */
@Controller('admin/jobs')
@Roles('admin')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post('expiry')
  @HttpCode(200)
  expiry(@Body() body: RunJobDto, @Res({ passthrough: true }) response: Response) {
    return this.run('expiry', body, response);
  }

  @Post('tier-review')
  @HttpCode(200)
  tierReview(@Body() body: RunJobDto, @Res({ passthrough: true }) response: Response) {
    return this.run('tier-review', body, response);
  }

  private async run(job: JobName, body: RunJobDto, response: Response): Promise<JobAnswer> {
    const answer = await this.jobs.run(job, new Date(body.asOf).toISOString(), jobWaitMs);
    if (answer.status === 'pending') response.statusCode = 202;
    return answer;
  }
}
