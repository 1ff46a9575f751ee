% rebase('layout')
<section class="card" id="chart-volume">
  <h2>{{_('Sent parts and delivery rate, last 30 days')}}</h2>
  <p class="meta"><span class="key-volume">■</span> {{_('Sent parts')}} · <span class="key-rate">●</span> {{_('Delivery rate')}}</p>
  {{!volume_svg}}
</section>
<section class="card" id="chart-reasons">
  <h2>{{_('Failure reasons')}}</h2>
  % if reasons_svg:
  {{!reasons_svg}}
  % else:
  <p class="muted">{{_('No failures in the last 30 days.')}}</p>
  % end
</section>
<section class="card" id="chart-costs">
  <h2>{{_('Cost per department')}} · {{data['month']}}</h2>
  % if costs_svg:
  {{!costs_svg}}
  <p class="meta">{{_('Total')}}: ¥{{data['total_cost']}}</p>
  % else:
  <p class="muted">{{_('Nothing charged this month.')}}</p>
  % end
</section>
<section class="card" id="chart-calls">
  <h2>{{_('IVR calls per day, last 30 days')}}</h2>
  {{!calls_svg}}
</section>
<section class="card" id="chart-outcomes">
  <h2>{{_('Call outcomes')}}</h2>
  % if outcomes_svg:
  {{!outcomes_svg}}
  % else:
  <p class="muted">{{_('No calls in the last 30 days.')}}</p>
  % end
</section>
