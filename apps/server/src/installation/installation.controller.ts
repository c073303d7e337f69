import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '@switchyard/auth';
import { InstallationService } from './installation.service';

@ApiTags('system')
@Controller('api/v1/installation')
export class InstallationController {
  constructor(private readonly installation: InstallationService) {}

  @Get()
  @Public()
  @ApiOkResponse({ description: 'This installation’s id and the server version' })
  get(): { installationId: string; version: string } {
    return { installationId: this.installation.installationId(), version: SERVER_VERSION };
  }
}

export const SERVER_VERSION = '0.1.0';
