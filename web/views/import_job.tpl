% rebase('layout')
% if error:
<p class="flash error" id="import-error">{{error}}</p>
% end
% include('import_result')
<section class="card" id="import-job" data-json="/import/jobs/{{job['id']}}.json" data-state="{{job['state']}}">
  <p>{{job['filename']}} · {{_(job['kind'])}}{{' · ' + _('Trial run (check only)') if job['dry_run'] else ''}} · {{job['actor']}}</p>
  <p><b id="job-state">{{_(states[job['state']])}}</b> · <span id="job-phase">{{_(phases[job['phase']])}}</span></p>
  <progress id="job-progress" max="100" value="{{job['percent']}}">{{job['percent']}}%</progress>
  <table class="narrow" id="job-counts">
    <tr><th>{{_('Rows in the file')}}</th><td class="num" id="job-total">{{'' if job['total'] is None else job['total']}}</td></tr>
    <tr><th>{{_('Rows read')}}</th><td class="num" id="job-read">{{job['read']}}</td></tr>
    <tr><th>{{_('Rows checked')}}</th><td class="num" id="job-checked">{{job['checked']}}</td></tr>
    <tr><th>{{_('Rows written')}}</th><td class="num" id="job-written">{{job['written']}}</td></tr>
  </table>
  % if job['state'] in ('queued', 'running'):
  <p class="meta"><a href="/import/jobs/{{job['id']}}" id="job-refresh">{{_('Refresh')}}</a></p>
  % end
</section>
<p><a href="/import">{{_('Import another file')}}</a></p>
<script src="/static/import_job.js"></script>
