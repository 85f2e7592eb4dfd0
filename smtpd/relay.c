/* relay.c - placeholder while the relay child is being written */
#include <unistd.h>
#include "relay.h"
void
relay_main(struct smtpd *d)
{
	(void)d;
	for (;;)
		pause();
}
